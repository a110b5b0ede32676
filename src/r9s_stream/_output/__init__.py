"""_output"""
